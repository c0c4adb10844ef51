// Command ground is the Skysieve ground service: frame receivers,
// reassembly, publishing to NATS JetStream, uplink reports, and the watch
// tool for responders.
//
//	ground run [--config ground.yaml] [flags]   run the service
//	ground watch [--class C] [--bbox minLon,minLat,maxLon,maxLat]
//
// Configuration: a YAML file (--config), SKYSIEVE_ environment variables
// (SKYSIEVE_NATS_URL for nats.url), and flags; every key has a default, so
// `ground run` works with no file at all.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

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
			level, err := ground.LogLevel(v)
			if err != nil {
				return err
			}
			cfg, err := ground.ConfigFromViper(v)
			if err != nil {
				return err
			}
			cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			svc, err := ground.New(cfg)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return svc.Run(ctx)
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
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return ground.Watch(ctx, cfg, os.Stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Class, "class", "", "only this detection class (fire, flood, vessel, ...)")
	f.StringVar(&bbox, "bbox", "", "only footprints intersecting minLon,minLat,maxLon,maxLat")
	f.StringVar(&cfg.Durable, "durable", "watch", "durable consumer name (resumes where it left off)")
	f.BoolVar(&cfg.JSON, "json", false, "print each GeoJSON Feature as a JSON line")
	f.IntVar(&cfg.Max, "max", 0, "exit after this many detections (0: run until interrupted)")
	f.StringVar(&cfg.DataDir, "data-dir", ground.DefaultConfig().DataDir, "ground data dir, to find its embedded NATS server when --nats-url is not given")
	f.StringVar(&cfg.Bus.URL, "nats-url", "", "NATS server URL (default: $SKYSIEVE_NATS_URL, else the local ground's embedded server)")
	f.StringVar(&cfg.Bus.TLSCAFile, "nats-ca", "", "CA file for TLS")
	f.StringVar(&cfg.Bus.TLSCertFile, "nats-cert", "", "client certificate for TLS")
	f.StringVar(&cfg.Bus.TLSKeyFile, "nats-key", "", "client key for TLS")
	f.StringVar(&cfg.Bus.CredsFile, "nats-creds", "", "JWT user credentials file")
	f.StringVar(&cfg.Bus.NKeySeedFile, "nats-nkey", "", "user nkey seed file")
	return cmd
}

func main() {
	root.AddCommand(runCmd(), watchCmd())
	if err := root.Execute(); err != nil {
		if errors.Is(err, context.Canceled) {
			return
		}
		fmt.Fprintln(os.Stderr, "ground:", err)
		os.Exit(1)
	}
}
