package main

import (
	"fmt"
	"runtime"

	"github.com/skysieve/skysieve/triage"
	"github.com/spf13/cobra"
)

func init() {
	var lib string
	cmd := &cobra.Command{
		Use:   "selftest",
		Short: "Load ONNX Runtime and run a known model, checking its output (a pre-flight check)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := triage.InitRuntime(lib); err != nil {
				return err
			}
			e, err := triage.SelfTest()
			if err != nil {
				return err
			}
			fmt.Printf("selftest ok: linux/%s, ONNX Runtime %s, max error %.2g\n", runtime.GOARCH, triage.RuntimeVersion(), e)
			return nil
		},
	}
	cmd.Flags().StringVar(&lib, "ort-lib", "", "path to libonnxruntime.so (default: $"+triage.EnvORTLibrary+" or the `make ort` cache)")
	root.AddCommand(cmd)
}
