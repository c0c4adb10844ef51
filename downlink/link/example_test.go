package link_test

import (
	"bytes"
	"fmt"
	"log"
	"time"

	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/reassembly"
	"github.com/skysieve/skysieve/downlink/report"
	"github.com/skysieve/skysieve/downlink/sdls"
)

// A chip crosses the link with one frame lost; ground asks for what is
// missing and flight's repair symbol completes it.
func Example() {
	keys, err := sdls.LoadKeyFile("../../testdata/link/test.key")
	if err != nil {
		log.Fatal(err)
	}
	cfg := link.DefaultConfig()

	// Flight.
	sender, err := link.NewSender(cfg, keys, 1) // 1: the persisted sequence high-water mark
	if err != nil {
		log.Fatal(err)
	}
	id, err := link.ParseDetectionID("00112233445566778899aabbccddeeff")
	if err != nil {
		log.Fatal(err)
	}
	chip := bytes.Repeat([]byte("evidence"), 1000)
	enc, err := sender.Item(link.KindChip, id, chip, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d bytes → k=%d frames of %d bytes\n", len(chip), enc.K(), sender.FrameBytes())

	// Ground.
	receiver, err := link.NewReceiver(cfg, keys, reassembly.Config{})
	if err != nil {
		log.Fatal(err)
	}
	var buf []byte
	for i := 0; i < enc.K(); i++ {
		if buf, err = enc.AppendFrame(buf[:0], i); err != nil {
			log.Fatal(err)
		}
		if i == 1 {
			continue // lost on the way down
		}
		if _, err := receiver.Receive(buf, "svalbard"); err != nil {
			log.Fatal(err)
		}
	}

	// Uplink: ground reports what it needs.
	up, err := link.NewReportEncoder(cfg, keys, 1)
	if err != nil {
		log.Fatal(err)
	}
	tcs, err := up.EncodeReport(report.Report{Seq: 1, Time: time.Unix(0, 0), Need: receiver.Reassembler().Needs()})
	if err != nil {
		log.Fatal(err)
	}
	rep, err := sender.DecodeReport(tcs[0])
	if err != nil {
		log.Fatal(err)
	}
	need := rep.Need[0]
	fmt.Printf("ground needs %d more symbol(s) of %s\n", need.Symbols, link.FormatID(need.Ref.ID))

	// Flight sends a repair symbol (index ≥ K); ground completes the chip.
	if buf, err = enc.AppendFrame(buf[:0], enc.K()); err != nil {
		log.Fatal(err)
	}
	res, err := receiver.Receive(buf, "svalbard")
	if err != nil {
		log.Fatal(err)
	}
	for _, it := range res.Completed {
		fmt.Printf("complete: %s, %d bytes, intact %v\n", it.Ref.Kind, len(it.Data), bytes.Equal(it.Data, chip))
	}
	// Output:
	// 8000 bytes → k=5 frames of 2048 bytes
	// ground needs 1 more symbol(s) of 00112233445566778899aabbccddeeff
	// complete: chip, 8000 bytes, intact true
}
