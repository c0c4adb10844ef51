// Command ground is the Skysieve ground service: frame receivers,
// reassembly, publishing to NATS JetStream, uplink reports, and the watch
// tool for responders.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

var root = &cobra.Command{
	Use:           "ground",
	Short:         "Skysieve ground service: reassemble downlinked detections and publish them to NATS JetStream",
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "ground:", err)
		os.Exit(1)
	}
}
