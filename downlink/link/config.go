package link

import (
	"fmt"

	"github.com/skysieve/skysieve/downlink/fec"
	"github.com/skysieve/skysieve/downlink/frame"
	"github.com/skysieve/skysieve/downlink/packet"
	"github.com/skysieve/skysieve/downlink/sdls"
)

// Kind, ItemID and ItemRef are the item identity types (see package packet).
type (
	Kind    = packet.Kind
	ItemID  = packet.ItemID
	ItemRef = packet.ItemRef
)

// Item kinds.
const (
	KindRecord       = packet.KindRecord
	KindChip         = packet.KindChip
	KindHousekeeping = packet.KindHousekeeping
	KindBundle       = packet.KindBundle
)

// ParseDetectionID turns a 32-hex-character detection id into an ItemID.
func ParseDetectionID(s string) (ItemID, error) { return packet.ParseDetectionID(s) }

// FormatID is the inverse of ParseDetectionID.
func FormatID(id ItemID) string { return packet.FormatID(id) }

// Config is what both ends of the link must agree on.
type Config struct {
	// SpacecraftID is the 10-bit CCSDS spacecraft id in every frame.
	SpacecraftID uint16
	// FrameBytes is the TM Transfer Frame length on air, from the primary
	// header to the FECF inclusive (ASM not counted), 128..2048.
	FrameBytes int
	// ClassVC maps priority class (index, 0 = most urgent) to the TM
	// virtual channel that carries it.
	ClassVC []uint8
	// IdleVC carries idle (fill) frames.
	IdleVC uint8
	// DownlinkSPI and UplinkSPI name the security associations (key file
	// entries) for TM and TC frames; each SA's mode (enc or auth) comes
	// from the key file.
	DownlinkSPI, UplinkSPI uint16
	// UplinkVC is the TC virtual channel carrying reports.
	UplinkVC uint8
	// MaxBlockK is the largest number of source symbols per code block
	// (1..255); larger items are split into blocks.
	MaxBlockK int
}

// DefaultConfig is the Skysieve link: 2048-byte frames (the largest CCSDS
// 132.0-B allows, so headers, MAC and CRC cost under 5%), spacecraft 0x2A,
// classes 0..3 on VCs 0..3, idle frames on VC 7, SPI 1 down and 2 up,
// blocks of at most 128 source symbols (so every block can take at least
// as many repair symbols as source symbols: 50% loss).
func DefaultConfig() Config {
	return Config{
		SpacecraftID: 0x2A,
		FrameBytes:   2048,
		ClassVC:      []uint8{0, 1, 2, 3},
		IdleVC:       7,
		DownlinkSPI:  1,
		UplinkSPI:    2,
		UplinkVC:     0,
		MaxBlockK:    fec.DefaultMaxK,
	}
}

// Frame overheads in bytes.
const (
	frameHeadBytes = frame.TMHeaderBytes + sdls.HeaderBytes // AAD
	frameTailBytes = sdls.MACBytes + frame.FECFBytes
	// FrameOverheadBytes is what a TM frame adds around its packet.
	FrameOverheadBytes = frameHeadBytes + frameTailBytes
	// SymbolOverheadBytes is everything on air in a frame except the
	// symbol: frame and security headers, packet headers, MAC, FECF.
	SymbolOverheadBytes = FrameOverheadBytes + packet.OverheadBytes
)

// Validate checks c.
func (c Config) Validate() error {
	switch {
	case c.SpacecraftID > frame.MaxSCID:
		return fmt.Errorf("link: spacecraft id %d exceeds %d", c.SpacecraftID, frame.MaxSCID)
	case c.FrameBytes < 128 || c.FrameBytes > frame.MaxTMFrameBytes:
		return fmt.Errorf("link: frame length %d outside 128..%d", c.FrameBytes, frame.MaxTMFrameBytes)
	case len(c.ClassVC) == 0:
		return fmt.Errorf("link: no priority classes (ClassVC empty)")
	case c.IdleVC > frame.MaxTMVCID:
		return fmt.Errorf("link: idle VC %d exceeds %d", c.IdleVC, frame.MaxTMVCID)
	case c.DownlinkSPI == 0 || c.UplinkSPI == 0:
		return fmt.Errorf("link: SPIs must be set (down %d, up %d)", c.DownlinkSPI, c.UplinkSPI)
	case c.UplinkVC > frame.MaxTCVCID:
		return fmt.Errorf("link: uplink VC %d exceeds %d", c.UplinkVC, frame.MaxTCVCID)
	case c.MaxBlockK < 1 || c.MaxBlockK >= fec.MaxBlockSymbols:
		return fmt.Errorf("link: max block k %d outside 1..%d", c.MaxBlockK, fec.MaxBlockSymbols-1)
	}
	for class, vc := range c.ClassVC {
		if vc > frame.MaxTMVCID {
			return fmt.Errorf("link: class %d on VC %d exceeds %d", class, vc, frame.MaxTMVCID)
		}
	}
	return nil
}

// SymbolBytes is the item bytes each frame carries.
func (c Config) SymbolBytes() int { return c.FrameBytes - SymbolOverheadBytes }

// Layout is how an item of itemBytes is coded: symbols per block, blocks.
func (c Config) Layout(itemBytes int) (fec.Layout, error) {
	return fec.NewLayout(itemBytes, c.SymbolBytes(), c.MaxBlockK)
}

// SourceSymbols is the number of frames that carry an item of itemBytes
// with no loss and no repair (its K).
func (c Config) SourceSymbols(itemBytes int) (int, error) {
	l, err := c.Layout(itemBytes)
	if err != nil {
		return 0, err
	}
	return l.SourceSymbols(), nil
}

// PayloadEfficiency is item bytes over frame bytes on air for an item of
// itemBytes sent with no repair symbols (ASM not counted).
func (c Config) PayloadEfficiency(itemBytes int) (float64, error) {
	k, err := c.SourceSymbols(itemBytes)
	if err != nil {
		return 0, err
	}
	return float64(itemBytes) / float64(k*c.FrameBytes), nil
}

// VCForClass returns the virtual channel of a priority class.
func (c Config) VCForClass(class int) (uint8, error) {
	if class < 0 || class >= len(c.ClassVC) {
		return 0, fmt.Errorf("link: priority class %d outside 0..%d", class, len(c.ClassVC)-1)
	}
	return c.ClassVC[class], nil
}
