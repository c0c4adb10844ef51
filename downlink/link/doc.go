// Package link is the high-level Skysieve space link API that flight and
// ground call. It ties together packets (downlink/packet), frames
// (downlink/frame), erasure coding (downlink/fec), security (downlink/sdls),
// reassembly (downlink/reassembly) and reports (downlink/report).
//
// Flight:
//
//	keys, err := sdls.LoadKeyFile(path)
//	s, err := link.NewSender(cfg, keys, persistedSeq)
//	enc, err := s.Item(link.KindRecord, id, data, class) // enc.K() frames with no loss
//	buf, err = enc.AppendFrame(buf[:0], i)              // i < K: source, i ≥ K: repair
//	buf, err = s.AppendIdle(buf[:0])                    // fill
//	rep, err := s.DecodeReport(tcFrame)                 // ACK/NAK from ground
//
// Ground:
//
//	r, err := link.NewReceiver(cfg, keys, reassembly.Config{})
//	res, err := r.Receive(frame, "station-a")          // res.Completed: items
//	r.Reassembler().Needs()                             // for reports
//	r.ReplayState() / r.RestoreReplayState(saved)       // anti-replay across restarts
//	u, err := link.NewReportEncoder(cfg, keys, persistedSeq)
//	frames, err := u.EncodeReport(report.Report{...})
//
// Every frame has the same length (Config.FrameBytes) and carries exactly
// one symbol, so a lost frame costs one symbol. Security sequence numbers
// must never repeat: Sender and ReportEncoder start at a number the caller
// persisted as a reserved high-water mark (reserve a block, say a million,
// persist Seq()+block before using it, restart from the persisted value).
package link
