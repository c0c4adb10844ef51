package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/skysieve/skysieve/downlink/contact"
	"github.com/skysieve/skysieve/downlink/orbit"
	"github.com/spf13/cobra"
)

// contactSummary is one row of `sim contacts --json`.
type contactSummary struct {
	Satellite       string  `json:"satellite"`
	Station         string  `json:"station"`
	AOS             string  `json:"aos"`
	LOS             string  `json:"los"`
	TCA             string  `json:"tca"`
	MaxElevationDeg float64 `json:"max_elevation_deg"`
	CapacityBytes   int64   `json:"capacity_bytes"`
}

func newContactsCmd() *cobra.Command {
	var (
		tlePath, stationsPath, fromStr, planPath string
		hours                                    float64
		asJSON                                   bool
	)
	cmd := &cobra.Command{
		Use:   "contacts",
		Short: "Compute the contact plan: passes of satellites over ground stations",
		Long: `Reads element sets (TLE with 2- or 3-line sets, or CCSDS OMM as JSON or KVN)
and a stations YAML file, computes every pass above each station's elevation
mask over --hours from --from (RFC 3339, default now), and prints a table or,
with --json, a JSON array of {satellite, station, aos, los, tca,
max_elevation_deg, capacity_bytes}. --plan also writes the full plan file
(link profiles included) that flight loads as if uplinked.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tlePath == "" || stationsPath == "" {
				return fmt.Errorf("contacts: --tle and --stations are required")
			}
			from := time.Now().UTC()
			if fromStr != "" {
				t, err := time.Parse(time.RFC3339Nano, fromStr)
				if err != nil {
					return fmt.Errorf("contacts: --from %q is not an RFC 3339 time (e.g. 2026-11-21T00:00:00Z)", fromStr)
				}
				from = t.UTC()
			}
			if !(hours > 0) || hours > 24*366 {
				return fmt.Errorf("contacts: --hours %g must be in (0, 8784]", hours)
			}
			f, err := os.Open(tlePath)
			if err != nil {
				return fmt.Errorf("contacts: %w", err)
			}
			sats, err := orbit.ParseElements(f)
			f.Close()
			if err != nil {
				return fmt.Errorf("contacts: %s: %w", tlePath, err)
			}
			stations, err := contact.LoadStations(stationsPath)
			if err != nil {
				return err
			}
			to := from.Add(time.Duration(hours * float64(time.Hour)))
			cs, err := contact.Compute(sats, stations, from, to, contact.Options{})
			if err != nil {
				return err
			}
			if planPath != "" {
				if err := writePlanFile(planPath, cs); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeContactsJSON(out, cs)
			}
			return writeContactsTable(out, cs)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&tlePath, "tle", "", "element sets: TLE, OMM JSON or OMM KVN file")
	fl.StringVar(&stationsPath, "stations", "", "ground stations YAML file")
	fl.StringVar(&fromStr, "from", "", "start of the interval, RFC 3339 (default now)")
	fl.Float64Var(&hours, "hours", 24, "length of the interval in hours")
	fl.BoolVar(&asJSON, "json", false, "print a JSON array instead of a table")
	fl.StringVar(&planPath, "plan", "", "also write the contact plan file (JSON, with link profiles) here")
	return cmd
}

func writePlanFile(path string, cs []contact.Contact) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("contacts: %w", err)
	}
	if err := contact.WritePlan(f, cs); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("contacts: %w", err)
	}
	return nil
}

func writeContactsJSON(w io.Writer, cs []contact.Contact) error {
	rows := make([]contactSummary, len(cs))
	for i, c := range cs {
		rows[i] = contactSummary{
			Satellite: c.Satellite, Station: c.Station,
			AOS: contact.FormatTime(c.AOS), LOS: contact.FormatTime(c.LOS), TCA: contact.FormatTime(c.TCA),
			MaxElevationDeg: float64(int64(c.MaxElevationDeg*100+0.5)) / 100,
			CapacityBytes:   c.CapacityBytes,
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}

func writeContactsTable(w io.Writer, cs []contact.Contact) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SATELLITE\tSTATION\tAOS (UTC)\tLOS (UTC)\tDURATION\tTCA (UTC)\tMAX EL\tCAPACITY\tNOTE")
	var total int64
	for _, c := range cs {
		note := ""
		if c.StartsInProgress {
			note = "in progress at start"
		}
		if c.EndsInProgress {
			if note != "" {
				note += ", "
			}
			note += "continues past end"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%.1f°\t%.1f MB\t%s\n",
			c.Satellite, c.Station,
			c.AOS.UTC().Format("2006-01-02 15:04:05"), c.LOS.UTC().Format("15:04:05"),
			c.Duration().Round(time.Second), c.TCA.UTC().Format("15:04:05"),
			c.MaxElevationDeg, float64(c.CapacityBytes)/1e6, note)
		total += c.CapacityBytes
	}
	fmt.Fprintf(tw, "%d contacts\t\t\t\t\t\t\t%.1f MB\t\n", len(cs), float64(total)/1e6)
	return tw.Flush()
}

func init() { root.AddCommand(newContactsCmd()) }
