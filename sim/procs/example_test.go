package procs_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/skysieve/skysieve/sim/procs"
)

// Run the real binaries through four contact windows, killing flight in
// the first and ground in the second, and check that every detection
// flight stored reached the bus exactly once.
func ExampleRun() {
	res, err := procs.Run(context.Background(), procs.Options{
		FlightBin: "bin/flight", GroundBin: "bin/ground", Dir: "out/processes",
		Kills: []procs.Kill{
			{Target: procs.Flight, Contact: 0, After: 3 * time.Second},
			{Target: procs.Ground, Contact: 1, After: 3 * time.Second},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("stored %d, published %d, duplicates %d, lost %d\n",
		res.Stored, res.Published, res.Duplicates, res.LostItems)
}
