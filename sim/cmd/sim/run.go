package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/skysieve/skysieve/downlink/logsetup"
	"github.com/skysieve/skysieve/sim"
	"github.com/skysieve/skysieve/sim/procs"
	"github.com/skysieve/skysieve/sim/scenario"
)

// defaultScenarioRel is the default scenario, relative to the project root.
const defaultScenarioRel = "testdata/sim/default.yaml"

func newRunCmd() *cobra.Command {
	var (
		scenarioPath, jsonPath, htmlDir, dataDir, logPath string
		ortLib, modelPath                                 string
		seed                                              int64
		threads                                           int
		quiet                                             time.Duration
		processes, kill                                   bool
		hours                                             float64
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Simulate a day in orbit end to end: real flight and ground services on a simulated clock",
		Long: `Runs the scenario (default: testdata/sim/default.yaml) with the real flight
service (ONNX Runtime triage, durable store, pass planner), the real ground
service (embedded NATS JetStream) and a lossy channel between them, as a
discrete-event simulation: the same scenario and seed give the same figures
(report.json byte for byte, apart from its "wall" object) on any machine
under any load. Compares with the baseline (every raw scene downlinked first
in first out) and prints a summary. --json writes the figures, --html a
report page with plots.

--processes runs bin/flight and bin/ground as processes over real UDP on
the wall clock instead: a test of the binaries, whose figures vary from run
to run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if scenarioPath == "" {
				scenarioPath = findUp(defaultScenarioRel)
			}
			scn, err := scenario.Load(scenarioPath, projectRoot())
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("seed") {
				scn.Seed = seed
			}
			if cmd.Flags().Changed("hours") {
				if !(hours > 0 && hours <= 720) {
					return fmt.Errorf("run: --hours %g must be in (0, 720]", hours)
				}
				scn.Duration = time.Duration(hours * float64(time.Hour))
			}
			opts := sim.Options{DataDir: dataDir, Progress: os.Stderr, Terminal: isTerminal(os.Stderr), Quiet: quiet}
			opts.Triage.RuntimePath, opts.Triage.ModelPath, opts.Triage.Threads = ortLib, modelPath, threads
			if logPath != "" {
				f, err := os.Create(logPath)
				if err != nil {
					return fmt.Errorf("run: --log: %w", err)
				}
				defer f.Close()
				opts.Logger = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo}))
			}
			ctx, stop := logsetup.SignalContext(cmd.Context())
			defer stop()
			return logsetup.Run(ctx, slog.Default(), "sim", func(ctx context.Context) error {
				if processes {
					return runProcesses(ctx, scn, dataDir, ortLib, modelPath, kill)
				}
				rep, err := sim.Run(ctx, scn, opts)
				if err != nil {
					return err
				}
				rep.WriteSummary(os.Stdout)
				if jsonPath != "" {
					if err := os.MkdirAll(filepath.Dir(jsonPath), 0o755); err != nil {
						return err
					}
					if err := rep.WriteJSON(jsonPath); err != nil {
						return err
					}
					fmt.Printf("\nfigures: %s\n", jsonPath)
				}
				if htmlDir != "" {
					p, err := rep.WriteHTML(htmlDir)
					if err != nil {
						return err
					}
					abs, _ := filepath.Abs(p)
					fmt.Printf("report:  %s\n", abs)
				}
				return nil
			}, "seed", scn.Seed, "processes", processes)
		},
	}
	f := cmd.Flags()
	f.StringVar(&scenarioPath, "scenario", "", "scenario YAML file (default "+defaultScenarioRel+")")
	f.Int64Var(&seed, "seed", 0, "seed for the world, clouds and channel (overrides the scenario's)")
	f.Float64Var(&hours, "hours", 0, "simulated hours (overrides the scenario's duration)")
	f.StringVar(&jsonPath, "json", "", "write the figures as JSON to this file")
	f.StringVar(&htmlDir, "html", "", "write the HTML report (index.html) into this folder")
	f.StringVar(&dataDir, "data-dir", "", "keep the services' data here (default: a temporary folder, removed)")
	f.StringVar(&logPath, "log", "", "write the services' logs to this file")
	f.StringVar(&ortLib, "ort-lib", "", "ONNX Runtime library (default: SKYSIEVE_ORT_LIB or the make ort cache)")
	f.StringVar(&modelPath, "model", "", "triage model (default: SKYSIEVE_MODEL or testdata/model/triage.onnx)")
	f.IntVar(&threads, "threads", 2, "ONNX Runtime intra-op threads")
	f.BoolVar(&processes, "processes", false, "run bin/flight and bin/ground as processes on the wall clock, this process as the channel (sim/procs)")
	f.BoolVar(&kill, "kill", true, "with --processes: SIGKILL flight in the first contact and ground in the second, and restart them")
	f.DurationVar(&quiet, "quiet", 0, "wall time the services must stay at rest after each simulated event before the next (default 500µs): a margin for work the driver cannot see; a longer one costs only wall time")
	return cmd
}

func init() { root.AddCommand(newRunCmd()) }

// runProcesses is `sim run --processes` (package sim/procs): the service
// binaries beside this one, with flight SIGKILLed in the first contact
// window and ground in the second unless --kill=false.
func runProcesses(ctx context.Context, scn *scenario.Scenario, dataDir, ortLib, modelPath string, kill bool) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	bin := filepath.Dir(exe)
	if dataDir == "" {
		if dataDir, err = os.MkdirTemp("", "skysieve-processes-"); err != nil {
			return err
		}
	}
	opts := procs.Options{
		FlightBin: filepath.Join(bin, "flight"), GroundBin: filepath.Join(bin, "ground"), Dir: dataDir,
		ORTLibrary: ortLib, ModelPath: modelPath, Seed: uint64(scn.Seed),
		Logger: slog.Default(),
	}
	if kill {
		opts.Kills = []procs.Kill{{Target: procs.Flight, Contact: 0, After: 4 * time.Second}, {Target: procs.Ground, Contact: 1, After: 4 * time.Second}}
	}
	res, err := procs.Run(ctx, opts)
	if err != nil {
		return err
	}
	fmt.Println("processes mode: real UDP on the wall clock, so these figures vary from run to run (the in-process mode reproduces its figures for a seed)")
	fmt.Printf("processes: %d scenes, %d detections stored, %d published, %d duplicates, %d lost, %d unexpected; %d kills; frames relayed %d (lost %d, corrupted %d); %s wall; logs in %s\n",
		res.Scenes, res.Stored, res.Published, res.Duplicates, len(res.Lost), len(res.Unexpected), len(res.Kills),
		res.Relay.FramesIn, res.Relay.Lost, res.Relay.Corrupted, res.Wall.Round(time.Second), res.Dir)
	if res.Duplicates != 0 || len(res.Lost) != 0 || len(res.Unexpected) != 0 {
		return fmt.Errorf("processes: %d duplicates, %d lost, %d unexpected", res.Duplicates, len(res.Lost), len(res.Unexpected))
	}
	return nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// findUp looks for rel beside the executable's parent folder, then in the
// working directory and its parents; it returns rel itself if not found.
func findUp(rel string) string {
	var candidates []string
	if exe, err := os.Executable(); err == nil {
		candidates = append(candidates, filepath.Join(filepath.Dir(exe), "..", rel))
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			candidates = append(candidates, filepath.Join(dir, rel))
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return filepath.Clean(c)
		}
	}
	return rel
}

// projectRoot is the folder holding testdata/, found like findUp.
func projectRoot() string {
	p := findUp(defaultScenarioRel)
	return filepath.Dir(filepath.Dir(filepath.Dir(p)))
}
