package train

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/skysieve/skysieve/triage/scene"
	"github.com/skysieve/skysieve/triage/synth"
)

const segModel = "../../testdata/model/triage-seg.onnx"

// TestCheckedInSegModel checks the default segmentation model's contract
// metadata (contract v2) and that its provenance JSON is the one it names.
func TestCheckedInSegModel(t *testing.T) {
	b, err := os.ReadFile(segModel)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 5<<20 {
		t.Fatalf("model is %d bytes, over 5 MB", len(b))
	}
	meta, err := ONNXMetadata(b)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"skysieve.contract": "2", "skysieve.bands": strings.Join(scene.DefaultBands, ","),
		"skysieve.input": "input", "skysieve.output_seg": "seg", "skysieve.gsd_m": "10-60",
	}
	for k, v := range want {
		if meta[k] != v {
			t.Errorf("%s = %q, want %q", k, meta[k], v)
		}
	}
	classes := strings.Split(meta["skysieve.classes"], ",")
	for _, c := range classes {
		if !slices.Contains(synth.ClassNames, c) {
			t.Errorf("unknown class %q", c)
		}
	}
	for _, c := range []string{"other", "cloud_thick", "water"} {
		if !slices.Contains(classes, c) {
			t.Errorf("required class %q missing from %v", c, classes)
		}
	}
	if p, err := strconv.Atoi(meta["skysieve.patch_size"]); err != nil || p <= 0 || p%8 != 0 {
		t.Errorf("patch_size %q", meta["skysieve.patch_size"])
	}
	for _, k := range []string{"skysieve.norm_mean", "skysieve.norm_std"} {
		vals := strings.Split(meta[k], ",")
		if len(vals) != len(scene.DefaultBands) {
			t.Errorf("%s has %d values", k, len(vals))
		}
		for _, s := range vals {
			if v, err := strconv.ParseFloat(s, 64); err != nil || (k == "skysieve.norm_std" && v <= 0) {
				t.Errorf("%s value %q", k, s)
			}
		}
	}
	prov, err := os.ReadFile(segModel + ".json")
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(prov); hex.EncodeToString(sum[:]) != meta["skysieve.provenance"] {
		t.Errorf("provenance JSON sha256 %x, the model names %s", sum, meta["skysieve.provenance"])
	}
}

func TestONNXMetadataBadInput(t *testing.T) {
	good := []byte{0x72, 6, 0x0a, 1, 'k', 0x12, 1, 'v'} // field 14: {key "k", value "v"}
	meta, err := ONNXMetadata(good)
	if err != nil || meta["k"] != "v" {
		t.Fatalf("got %v, %v", meta, err)
	}
	for name, b := range map[string][]byte{
		"truncated entry":   good[:len(good)-1],
		"length past end":   {0x72, 100, 0x0a},
		"bad tag":           {0x80},
		"wire type 7":       {0x0f},
		"entry without key": {0x72, 3, 0x12, 1, 'v'},
		"duplicate key":     append(append([]byte(nil), good...), good...),
		"truncated fixed64": {0x09, 1, 2},
	} {
		if _, err := ONNXMetadata(b); !errors.Is(err, ErrBadModelFile) {
			t.Errorf("%s: err %v", name, err)
		}
	}
}
