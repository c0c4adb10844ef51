// Command flight is the onboard Skysieve service: scene intake, triage,
// the durable priority store and the pass scheduler. Built for linux/amd64
// and linux/arm64.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/skysieve/skysieve/downlink/logsetup"
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
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "flight:", strings.TrimPrefix(err.Error(), "flight: "))
		os.Exit(1)
	}
}
