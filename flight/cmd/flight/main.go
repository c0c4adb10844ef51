// Command flight is the onboard Skysieve service: scene intake, triage,
// the durable priority store and the pass scheduler. Built for linux/amd64
// and linux/arm64.
package main

import (
	"fmt"
	"os"

	"github.com/skysieve/skysieve/downlink/buildinfo"
	"github.com/skysieve/skysieve/downlink/logsetup"
	"github.com/skysieve/skysieve/triage"
	"github.com/spf13/cobra"
)

var root = &cobra.Command{
	Use:           "flight",
	Short:         "Skysieve onboard service: triage imagery, store detections, downlink them in contact windows",
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	logsetup.Root(root)
	root.Version = buildinfo.Read().Line("flight", triage.ORTVersion)
	root.SetVersionTemplate("{{.Version}}")
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, logsetup.ErrorLine("flight", err))
		os.Exit(1)
	}
}
