package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/skysieve/skysieve/triage/scenery"
	"github.com/skysieve/skysieve/triage/synth"
	"github.com/skysieve/skysieve/triage/train"
	"github.com/spf13/cobra"
)

// generators are the scene generators training data can be drawn from.
var generators = map[string]train.Source{
	"synth":   train.SynthSource,
	"scenery": scenery.Random,
}

func init() {
	var gen, out string
	var seed uint64
	var count, patch, perScene int
	cmd := &cobra.Command{
		Use:   "dump-train",
		Short: "Write training patches and per-pixel labels from a scene generator (format: triage/train/patches.go)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			src, ok := generators[gen]
			if !ok {
				names := make([]string, 0, len(generators))
				for n := range generators {
					names = append(names, n)
				}
				slices.Sort(names)
				return fmt.Errorf("unknown generator %q (have %s)", gen, strings.Join(names, ", "))
			}
			f, err := os.Create(out)
			if err != nil {
				return err
			}
			start := time.Now()
			st, err := train.Dump(f, src, train.DumpConfig{Seed: seed, Count: count, Patch: patch, PerScene: perScene})
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(out)
				return fmt.Errorf("dump-train %s: %w", out, err)
			}
			fmt.Fprintf(os.Stderr, "wrote %d patches from %d %s scenes to %s in %s\n", count, st.Scenes, gen, out, time.Since(start).Round(time.Millisecond))
			for k, n := range st.Kinds {
				fmt.Fprintf(os.Stderr, "  patches %-16s %d\n", train.KindNames[k], n)
			}
			var total int64
			for _, n := range st.Pixels {
				total += n
			}
			for c, n := range st.Pixels {
				fmt.Fprintf(os.Stderr, "  pixels  %-16s %.4f\n", synth.ClassNames[c], float64(n)/float64(total))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&gen, "gen", "synth", "scene generator: synth or scenery")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "seed of the scenes drawn")
	cmd.Flags().IntVar(&count, "count", 1000, "patches to write")
	cmd.Flags().IntVar(&patch, "patch", 64, "patch edge in pixels (a multiple of 8)")
	cmd.Flags().IntVar(&perScene, "per-scene", 8, "patches cut from each scene at most")
	cmd.Flags().StringVar(&out, "out", "out/train/patches.bin", "output file")
	root.AddCommand(cmd)
}
