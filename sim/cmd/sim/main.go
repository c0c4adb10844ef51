// Command sim is the Skysieve orbit/contact simulator: a whole day of
// flight and ground on a laptop, compared with the collect-everything
// baseline.
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
	Use:           "sim",
	Short:         "Skysieve simulator: run a day in orbit end to end and report what onboard triage buys",
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	logsetup.Root(root)
	root.Version = buildinfo.Read().Line("sim", triage.ORTVersion)
	root.SetVersionTemplate("{{.Version}}")
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, logsetup.ErrorLine("sim", err))
		os.Exit(1)
	}
}
