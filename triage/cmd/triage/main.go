// Command triage runs Skysieve's onboard triage on the ground: evaluate the
// model on a held-out synthetic set, or triage one scene and print GeoJSON.
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
	Use:           "triage",
	Short:         "Skysieve triage: run the onboard model on scenes and evaluate it",
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	logsetup.Root(root)
	root.Version = buildinfo.Read().Line("triage", triage.ORTVersion)
	root.SetVersionTemplate("{{.Version}}")
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, logsetup.ErrorLine("triage", err))
		os.Exit(1)
	}
}
