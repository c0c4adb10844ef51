package triage_test

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skysieve/skysieve/triage"
	"github.com/skysieve/skysieve/triage/scene"
	"github.com/skysieve/skysieve/triage/train"
)

var smallArch = train.Arch{Bands: 6, Tile: 16, C1: 2, C2: 3, Hidden: 4, Classes: 5}

func goodContract(tile int) triage.Contract {
	return triage.Contract{
		ModelVersion: "test",
		Classes:      append([]string(nil), train.Classes...),
		Bands:        append([]string(nil), scene.DefaultBands...),
		TileSize:     tile,
		Mean:         []float32{0.1, 0.1, 0.1, 0.2, 0.2, 0.1},
		Std:          []float32{0.05, 0.05, 0.05, 0.1, 0.1, 0.1},
		Input:        train.InputName, OutputProbs: train.OutputProbsName, OutputCloud: train.OutputCloudName,
	}
}

// TestContractErrors breaks the contract one way at a time and checks the
// model is refused at load with ErrContract and a message naming the fault.
func TestContractErrors(t *testing.T) {
	if err := triage.InitRuntime(""); err != nil {
		t.Fatal(err)
	}
	net := train.NewNet(smallArch, rand.New(rand.NewPCG(1, 1)))
	cases := []struct {
		name  string
		con   func(c *triage.Contract)
		meta  func(m map[string]string)
		bytes []byte
		want  string
	}{
		{name: "good"},
		{name: "not onnx", bytes: []byte("this is not a model"), want: "not a readable ONNX model"},
		{name: "no contract", meta: func(m map[string]string) { delete(m, triage.MetaContract) }, want: "skysieve.contract is missing"},
		{name: "future contract", meta: func(m map[string]string) { m[triage.MetaContract] = "2" }, want: `"2"`},
		{name: "no cloud class", con: func(c *triage.Contract) { c.Classes[1] = "haze" }, want: `lacks class "cloud"`},
		{name: "no actionable class", con: func(c *triage.Contract) {
			c.Classes = []string{"background", "cloud", "a", "b", "c"}
		}, want: "no actionable class"},
		{name: "duplicate band", con: func(c *triage.Contract) { c.Bands[1] = "blue" }, want: `names "blue" twice`},
		{name: "mean count", con: func(c *triage.Contract) { c.Mean = c.Mean[:5] }, want: "5 values for 6 bands"},
		{name: "zero std", con: func(c *triage.Contract) { c.Std[3] = 0 }, want: "band nir is not a finite positive number"},
		{name: "tile size text", meta: func(m map[string]string) { m[triage.MetaTileSize] = "big" }, want: "skysieve.tile_size"},
		{name: "tile size differs from graph", con: func(c *triage.Contract) { c.TileSize = 32 }, want: "has shape [-1 6 16 16], the contract needs [N [6 32 32]]"},
		{name: "band count differs from graph", con: func(c *triage.Contract) {
			c.Bands, c.Mean, c.Std = c.Bands[:4], c.Mean[:4], c.Std[:4]
		}, want: "the contract needs [N [4 16 16]]"},
		{name: "class count differs from graph", con: func(c *triage.Contract) { c.Classes = c.Classes[:4] }, want: "the contract needs [N [4]]"},
		{name: "input name", con: func(c *triage.Contract) { c.Input = "x" }, want: `no input "x" (it has tiles)`},
		{name: "cloud output name", con: func(c *triage.Contract) { c.OutputCloud = "clouds" }, want: `no output "clouds"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.bytes
			if b == nil {
				con := goodContract(smallArch.Tile)
				if c.con != nil {
					c.con(&con)
				}
				meta := con.Metadata()
				if c.meta != nil {
					c.meta(meta)
				}
				b = onnxWithMeta(net, meta)
			}
			_, err := triage.ParseModel(b)
			if c.want == "" {
				if err != nil {
					t.Fatalf("good model refused: %v", err)
				}
				return
			}
			if !errors.Is(err, triage.ErrContract) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want ErrContract mentioning %q", err, c.want)
			}
		})
	}
}

// onnxWithMeta exports net with exactly meta as its metadata.
func onnxWithMeta(net *train.Net, meta map[string]string) []byte {
	// Export with an empty contract, then replace all metadata: extra
	// entries override the contract's, and a blanked key reads as missing.
	base := triage.Contract{}.Metadata()
	extra := map[string]string{}
	for k := range base {
		extra[k] = ""
	}
	for k, v := range meta {
		extra[k] = v
	}
	return net.ONNX(triage.Contract{}, extra)
}

func TestLoadModelMissing(t *testing.T) {
	if err := triage.InitRuntime(""); err != nil {
		t.Fatal(err)
	}
	_, err := triage.LoadModel(filepath.Join(t.TempDir(), "none.onnx"))
	if !errors.Is(err, triage.ErrModelMissing) {
		t.Fatalf("got %v, want ErrModelMissing", err)
	}
	big := filepath.Join(t.TempDir(), "junk.onnx")
	if err := os.WriteFile(big, []byte{0x08}, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := triage.LoadModel(big); !errors.Is(err, triage.ErrContract) || !strings.Contains(err.Error(), big) {
		t.Fatalf("got %v, want ErrContract naming the file", err)
	}
}

func FuzzParseContract(f *testing.F) {
	good := goodContract(32).Metadata()
	f.Add(good[triage.MetaClasses], good[triage.MetaBands], good[triage.MetaTileSize], good[triage.MetaNormMean], good[triage.MetaNormStd])
	f.Add("background,cloud,fire", "a", "8", "NaN", "-1")
	f.Fuzz(func(t *testing.T, classes, bands, tile, mean, std string) {
		m := goodContract(32).Metadata()
		m[triage.MetaClasses], m[triage.MetaBands], m[triage.MetaTileSize], m[triage.MetaNormMean], m[triage.MetaNormStd] = classes, bands, tile, mean, std
		c, err := triage.ParseContract(m)
		if err != nil {
			if !errors.Is(err, triage.ErrContract) {
				t.Fatalf("error %v does not wrap ErrContract", err)
			}
			return
		}
		if len(c.Mean) != len(c.Bands) || len(c.Std) != len(c.Bands) || c.TileSize < 4 {
			t.Fatalf("accepted inconsistent contract %+v", c)
		}
		for _, s := range c.Std {
			if !(s > 0) {
				t.Fatalf("accepted std %v", s)
			}
		}
	})
}
