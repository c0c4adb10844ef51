package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/triage"
	"github.com/skysieve/skysieve/triage/scene"
	"github.com/skysieve/skysieve/triage/scenery"
	"github.com/spf13/cobra"
)

// common flags of commands that run the model.
type modelFlags struct {
	model, ortLib, water string
	threads, batch       int
	cloud                float64
}

func (f *modelFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.model, "model", "", "ONNX model meeting the Skysieve contract (default: the checked-in model)")
	cmd.Flags().StringVar(&f.ortLib, "ort-lib", "", "ONNX Runtime library (default: $SKYSIEVE_ORT_LIB or the make ort cache)")
	cmd.Flags().IntVar(&f.threads, "threads", 1, "ONNX Runtime intra-op threads")
	cmd.Flags().IntVar(&f.batch, "batch", triage.DefaultConfig().BatchSize, "tiles per model run")
	cmd.Flags().Float64Var(&f.cloud, "cloud-discard", 0.7, "discard tiles at least this cloudy")
}

func (f *modelFlags) config(logOut io.Writer) triage.Config {
	c := triage.DefaultConfig()
	c.ModelPath, c.RuntimePath, c.Threads, c.BatchSize, c.CloudDiscardFraction = f.model, f.ortLib, f.threads, f.batch, f.cloud
	c.WaterLayerPath = f.water
	c.Logger = slog.New(slog.NewJSONHandler(logOut, nil))
	return c
}

// evalGenerators are the scene generators eval draws from.
var evalGenerators = map[string]triage.Generator{
	"synth":   triage.SynthEval,
	"scenery": scenery.Random,
}

func init() {
	var f modelFlags
	var seed uint64
	var scenes int
	var out, gen string
	eval := &cobra.Command{
		Use:   "eval",
		Short: "Score the model on a held-out synthetic set drawn from --seed; write the figures as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("seed") {
				return fmt.Errorf("eval: --seed is required (any seed but the model's training seed)")
			}
			c := f.config(io.Discard)
			// A fixed "now" (the end of the eval scenes' year): each
			// detection's freshness, and so its record, is the same
			// whenever the eval runs.
			c.Clock = clock.NewVirtual(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
			t, err := triage.New(c)
			if err != nil {
				return err
			}
			defer t.Close()
			g, ok := evalGenerators[gen]
			if !ok {
				return fmt.Errorf("eval: --gen %q: want synth or scenery", gen)
			}
			rep, err := triage.EvaluateWith(context.Background(), t, g, seed, scenes)
			if err != nil {
				return err
			}
			b, _ := json.MarshalIndent(rep, "", "  ")
			b = append(b, '\n')
			if out == "" || out == "-" {
				_, err = os.Stdout.Write(b)
				return err
			}
			if err := os.WriteFile(out, b, 0o644); err != nil {
				return err
			}
			for _, c := range []string{record.ClassFire, record.ClassFlood, record.ClassVessel} {
				m, st := rep.PerClass[c], rep.PerClassStrict[c]
				fmt.Fprintf(os.Stderr, "%-7s precision %.3f recall %.3f f1 %.3f (%d truth tiles; strict, ambiguous tiles counted: precision %.3f recall %.3f)\n",
					c, m.Precision, m.Recall, m.F1, m.Truth, st.Precision, st.Recall)
			}
			fmt.Fprintf(os.Stderr, "actionable recall %.4f, false discard %.4f, data reduction %.4f, model %d bytes; %d tiles, %.1f%% actionable, %d ambiguous\n",
				rep.ActionableRecall, rep.FalseDiscardRate, rep.DataReduction, rep.ModelBytes, rep.Tiles, 100*rep.ActionableShare, rep.AmbiguousTiles)
			return nil
		},
	}
	f.add(eval)
	eval.Flags().Uint64Var(&seed, "seed", 0, "seed of the held-out set (required; never the training seed)")
	eval.Flags().IntVar(&scenes, "scenes", triage.DefaultEvalScenes, "scenes to draw (512×512 pixels, 256 tiles each)")
	eval.Flags().StringVar(&gen, "gen", "synth", "scene generator: synth (MixEval, what the model was calibrated on) or scenery (independently designed, never seen in training)")
	eval.Flags().StringVar(&out, "json", "", "write the report here (default stdout)")
	root.AddCommand(eval)

	var rf modelFlags
	var satellite, captureTime string
	run := &cobra.Command{
		Use:   "run SCENE",
		Short: "Triage one scene file (GeoTIFF or Skysieve scene); print the detections as GeoJSON and the scene log on stderr",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts []scene.Option
			if satellite != "" {
				opts = append(opts, scene.WithSatellite(satellite))
			}
			if captureTime != "" {
				ct, err := time.Parse(time.RFC3339, captureTime)
				if err != nil {
					return fmt.Errorf("--capture-time %q: want RFC 3339, like 2002-07-09T12:30:00Z", captureTime)
				}
				opts = append(opts, scene.WithCaptureTime(ct))
			}
			s, err := scene.Open(args[0], opts...)
			if err != nil {
				return err
			}
			if s.CaptureTime.IsZero() {
				return fmt.Errorf("%s carries no capture time: pass --capture-time", args[0])
			}
			t, err := triage.New(rf.config(os.Stderr))
			if err != nil {
				return err
			}
			defer t.Close()
			res, err := t.Triage(context.Background(), s)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(triage.GeoJSON(res.Detections))
		},
	}
	rf.add(run)
	run.Flags().StringVar(&satellite, "satellite", "", "satellite id for files that carry none (GeoTIFFs)")
	run.Flags().StringVar(&captureTime, "capture-time", "", "capture time (RFC 3339) for files that carry none (GeoTIFFs)")
	run.Flags().StringVar(&rf.water, "water", "", "reference water layer: GeoJSON polygons of permanent water (without one no flood is called)")
	root.AddCommand(run)
}
