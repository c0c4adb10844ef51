// Command ground is the Skysieve ground service: frame receivers,
// reassembly, publishing to NATS JetStream, uplink reports, and the watch
// tool for responders.
//
//	ground run [--config ground.yaml] [flags]   run the service
//	ground watch [--class C] [--bbox minLon,minLat,maxLon,maxLat]
//	ground keys generate --out FILE             a fresh link key file (0600)
//	ground keys                                 list the configuration keys
//
// Configuration: a YAML file (--config), SKYSIEVE_ environment variables
// (SKYSIEVE_NATS_URL for nats.url), and flags. An unknown key or a bad
// value is refused. Every key has a default except the link key file:
// without one (or with the public development keys) ground refuses to
// start unless --insecure-dev-keys is given.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/skysieve/skysieve/downlink/buildinfo"
	"github.com/skysieve/skysieve/downlink/linkkeys"
	"github.com/skysieve/skysieve/downlink/logsetup"
	"github.com/skysieve/skysieve/downlink/settings"
	"github.com/skysieve/skysieve/ground"
	"github.com/spf13/cobra"
)

var root = &cobra.Command{
	Use:           "ground",
	Short:         "Skysieve ground service: reassemble downlinked detections and publish them to NATS JetStream",
	SilenceUsage:  true,
	SilenceErrors: true,
}

func runCmd() *cobra.Command {
	v := ground.NewViper()
	var configFile string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Receive frames from the stations and publish detections",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configFile != "" {
				v.SetConfigFile(configFile)
				if err := v.ReadInConfig(); err != nil {
					return fmt.Errorf("config %s: %w", configFile, err)
				}
			}
			log, err := ground.Logger(v, os.Stderr)
			if err != nil {
				return err
			}
			cfg, err := ground.ConfigFromViper(v)
			if err != nil {
				return err
			}
			cfg.Logger = log
			svc, err := ground.New(cfg)
			if err != nil {
				return err
			}
			ctx, stop := logsetup.SignalContext(cmd.Context())
			defer stop()
			return logsetup.Run(ctx, log, "ground", svc.Run, "data_dir", cfg.DataDir)
		},
	}
	cmd.Flags().StringVar(&configFile, "config", "", "YAML configuration file")
	ground.RunFlags(cmd.Flags(), v)
	return cmd
}

func watchCmd() *cobra.Command {
	var cfg ground.WatchConfig
	var bbox string
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Print detections as they are published (a durable JetStream consumer)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if bbox != "" {
				b, err := ground.ParseBBox(bbox)
				if err != nil {
					return err
				}
				cfg.BBox = b
			}
			if cfg.Bus.URL == "" {
				cfg.Bus.URL = os.Getenv("SKYSIEVE_NATS_URL")
			}
			if d := os.Getenv("SKYSIEVE_DATA_DIR"); d != "" && !cmd.Flags().Changed("data-dir") {
				cfg.DataDir = d
			}
			cfg.Status = os.Stderr
			ctx, stop := logsetup.SignalContext(cmd.Context())
			defer stop()
			cfg.Bus.Logger = slog.Default()
			return ground.Watch(ctx, cfg, os.Stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Class, "class", "", "only this detection class (fire, flood, vessel, ...)")
	f.StringVar(&bbox, "bbox", "", "only footprints intersecting minLon,minLat,maxLon,maxLat")
	f.StringVar(&cfg.Durable, "durable", "watch", "durable consumer name (resumes where it left off)")
	f.BoolVar(&cfg.JSON, "json", false, "print each GeoJSON Feature as a JSON line")
	f.IntVar(&cfg.Max, "max", 0, "exit after this many detections (0: run until interrupted)")
	f.StringVar(&cfg.DataDir, "data-dir", ground.DefaultConfig().DataDir, "ground data dir (default: $SKYSIEVE_DATA_DIR, as for ground run), to find its embedded NATS server when --nats-url is not given")
	f.StringVar(&cfg.Bus.URL, "nats-url", "", "NATS server URL (default: $SKYSIEVE_NATS_URL, else the local ground's embedded server)")
	f.StringVar(&cfg.Bus.TLSCAFile, "nats-ca", "", "CA file for TLS")
	f.StringVar(&cfg.Bus.TLSCertFile, "nats-cert", "", "client certificate for TLS")
	f.StringVar(&cfg.Bus.TLSKeyFile, "nats-key", "", "client key for TLS")
	f.StringVar(&cfg.Bus.CredsFile, "nats-creds", "", "JWT user credentials file")
	f.StringVar(&cfg.Bus.NKeySeedFile, "nats-nkey", "", "user nkey seed file")
	f.StringVar(&cfg.Bus.User, "nats-user", "", "NATS user, e.g. a read-only reader (password from $SKYSIEVE_NATS_PASSWORD); default: the local ground's own credentials")
	cmd.PreRun = func(*cobra.Command, []string) {
		cfg.Bus.Password = settings.Secret(os.Getenv("SKYSIEVE_NATS_PASSWORD"))
	}
	return cmd
}

func keysCmd() *cobra.Command {
	keys := &cobra.Command{
		Use:   "keys",
		Short: "List the configuration keys of 'ground run'",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			for _, k := range ground.ConfigKeys() {
				fmt.Fprintln(cmd.OutOrStdout(), k)
			}
		},
	}
	var out string
	gen := &cobra.Command{
		Use:   "generate --out FILE",
		Short: "Write a fresh link key file (mode 0600) for ground and flight",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("--out is required")
			}
			if err := linkkeys.Generate(out); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "link keys written to", out, "(mode 0600); give the same file to flight and ground")
			return nil
		},
	}
	gen.Flags().StringVar(&out, "out", "", "key file to create (refuses to overwrite)")
	keys.AddCommand(gen)
	return keys
}

func main() {
	logsetup.Root(root)
	root.Version = buildinfo.Read().Line("ground", "")
	root.SetVersionTemplate("{{.Version}}")
	root.AddCommand(runCmd(), watchCmd(), keysCmd())
	if err := root.Execute(); err != nil {
		if errors.Is(err, context.Canceled) {
			return
		}
		fmt.Fprintln(os.Stderr, logsetup.ErrorLine("ground", err))
		os.Exit(1)
	}
}
