// Command sim is the Skysieve orbit/contact simulator: a whole day of
// flight and ground on a laptop, compared with the collect-everything
// baseline.
package main

import (
	"fmt"
	"os"

	"github.com/skysieve/skysieve/downlink/logsetup"
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
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "sim:", err)
		os.Exit(1)
	}
}
