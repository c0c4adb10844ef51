package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/skysieve/skysieve/flight"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

func init() {
	v := viper.New()
	var configFile string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the flight service: spool intake, triage, store, downlink in contact windows",
		Long: `Run the flight service until SIGTERM or SIGINT.

Configuration comes from defaults, then the YAML file given by --config,
then SKYSIEVE_* environment variables (key radio.peer is SKYSIEVE_RADIO_PEER),
then flags. 'flight keys' lists every key. With no configuration at all it
runs: data in ./skysieve-flight, UDP radio 127.0.0.1:7401 -> 127.0.0.1:7400,
the development link keys (a warning says so).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if configFile != "" {
				v.SetConfigFile(configFile)
				if err := v.ReadInConfig(); err != nil {
					return fmt.Errorf("config file %s: %w", configFile, err)
				}
			}
			cfg, err := flight.LoadConfig(v)
			if err != nil {
				return err
			}
			cfg.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
			s, err := flight.New(cfg)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			return s.Run(ctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&configFile, "config", "", "YAML config file")
	for _, fl := range []struct{ key, name, usage string }{
		{"data_dir", "data-dir", "data directory (store, custody, link state)"},
		{"spool_dir", "spool-dir", "scene spool folder (empty: no spool intake)"},
		{"key_file", "key-file", "SDLS link key file (empty: development keys)"},
		{"contact_plan", "contact-plan", "contact plan file (JSON, downlink/contact)"},
		{"radio.listen", "radio-listen", "UDP address for uplink frames"},
		{"radio.peer", "radio-peer", "UDP address downlink frames go to"},
		{"metrics_addr", "metrics-addr", "address for /metrics, /livez, /readyz (empty: off)"},
		{"ort.library", "ort-lib", "path to libonnxruntime.so"},
	} {
		f.String(fl.name, "", fl.usage)
		_ = v.BindPFlag(fl.key, f.Lookup(fl.name))
	}
	flight.BindEnv(v)
	root.AddCommand(cmd)

	root.AddCommand(&cobra.Command{
		Use:   "keys",
		Short: "List the configuration keys of 'flight run'",
		Run: func(cmd *cobra.Command, args []string) {
			for _, k := range flight.ConfigKeys() {
				fmt.Println(k)
			}
		},
	})
}
