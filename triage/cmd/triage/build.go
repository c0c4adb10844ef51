package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/skysieve/skysieve/triage/train"
	"github.com/spf13/cobra"
)

func init() {
	var out string
	var steps, scenes int
	var seed uint64
	cmd := &cobra.Command{
		Use:   "build-model",
		Short: "Rebuild the default model from source: draw training scenes, train in Go, write ONNX",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := train.DefaultConfig()
			if cmd.Flags().Changed("seed") {
				c.Seed = seed
			}
			if steps > 0 {
				c.Steps = steps
			}
			if scenes > 0 {
				c.Scenes = scenes
			}
			start := time.Now()
			res, err := train.Build(c, func(format string, args ...any) {
				fmt.Fprintf(os.Stderr, "%6.1fs "+format+"\n", append([]any{time.Since(start).Seconds()}, args...)...)
			})
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(out, res.Model, 0o644); err != nil {
				return err
			}
			info := res.Provenance(c)
			b, _ := json.MarshalIndent(info, "", "  ")
			if err := os.WriteFile(out+".json", append(b, '\n'), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "wrote %s (%d bytes) and %s.json in %s\n", out, len(res.Model), out, time.Since(start).Round(time.Second))
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "testdata/model/triage.onnx", "where to write the model (provenance goes to FILE.json)")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "training seed (default: the default model's)")
	cmd.Flags().IntVar(&steps, "steps", 0, "training steps (default: the default model's)")
	cmd.Flags().IntVar(&scenes, "scenes", 0, "training scenes (default: the default model's)")
	root.AddCommand(cmd)
}
