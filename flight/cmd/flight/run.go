package main

import (
	"context"
	"fmt"
	"os"

	"github.com/skysieve/skysieve/downlink/linkkeys"
	"github.com/skysieve/skysieve/downlink/logsetup"
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
then flags. 'flight keys' lists every key; an unknown key or a bad value
is refused. A link key file (key_file, mode 0600: 'flight keys generate')
is required: without one, or with the public development keys, flight
refuses to start unless --insecure-dev-keys is given (then every log line
says insecure_dev_keys=true). Otherwise every key has a default: data in
./skysieve-flight, UDP radio 127.0.0.1:7401 -> 127.0.0.1:7400.`,
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
			level, format := v.GetString(logsetup.LevelKey), v.GetString(logsetup.FormatKey)
			if level == "" {
				level = "info"
			}
			if format == "" {
				format = "text"
			}
			log, err := logsetup.New(os.Stderr, level, format)
			if err != nil {
				return err
			}
			cfg.Logger = log
			s, err := flight.New(cfg)
			if err != nil {
				return err
			}
			ctx, stop := logsetup.SignalContext(context.Background())
			defer stop()
			return logsetup.Run(ctx, log, "flight", s.Run, "data_dir", cfg.DataDir,
				"spacecraft_id", cfg.Link.SpacecraftID, "radio_listen", cfg.RadioListen, "radio_peer", cfg.RadioPeer)
		},
	}
	f := cmd.Flags()
	f.StringVar(&configFile, "config", "", "YAML config file")
	for _, fl := range []struct{ key, name, usage string }{
		{"data_dir", "data-dir", "data directory (store, custody, link state)"},
		{"spool_dir", "spool-dir", "scene spool folder (empty: no spool intake)"},
		{"key_file", "key-file", "SDLS link key file, mode 0600 ('flight keys generate')"},
		{"contact_plan", "contact-plan", "contact plan file (JSON, downlink/contact)"},
		{"radio.listen", "radio-listen", "UDP address for uplink frames"},
		{"radio.peer", "radio-peer", "UDP address downlink frames go to"},
		{"metrics_addr", "metrics-addr", "address for /metrics, /livez, /readyz (empty: off)"},
		{"ort.library", "ort-lib", "path to libonnxruntime.so"},
	} {
		f.String(fl.name, "", fl.usage)
		_ = v.BindPFlag(fl.key, f.Lookup(fl.name))
	}
	logsetup.AddFlags(f)
	_ = v.BindPFlag(logsetup.LevelKey, f.Lookup(logsetup.LevelFlag))
	_ = v.BindPFlag(logsetup.FormatKey, f.Lookup(logsetup.FormatFlag))
	f.Bool(linkkeys.InsecureFlag, false, "allow the public development link keys (never in flight)")
	_ = v.BindPFlag("insecure_dev_keys", f.Lookup(linkkeys.InsecureFlag))
	flight.BindEnv(v)
	root.AddCommand(cmd)

	keys := &cobra.Command{
		Use:   "keys",
		Short: "List the configuration keys of 'flight run'",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			for _, k := range flight.ConfigKeys() {
				fmt.Println(k)
			}
		},
	}
	keys.AddCommand(generateCmd())
	root.AddCommand(keys)
}

// generateCmd is 'flight keys generate': a fresh link key set, mode 0600,
// for flight and ground alike.
func generateCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "generate --out FILE",
		Short: "Write a fresh link key file (mode 0600) for flight and ground",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
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
	cmd.Flags().StringVar(&out, "out", "", "key file to create (refuses to overwrite)")
	return cmd
}
