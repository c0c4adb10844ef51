// Command testsum reads `go test -json` from stdin, echoes each package's
// result line and the output of failing tests, and ends with the plain
// closing line "N passed, N failed, N skipped". It exits 1 when anything
// failed or the stream is empty.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

func main() {
	var passed, failed, skipped int
	outputs := map[string][]string{}
	testFailed := map[string]bool{} // packages with a failing test
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Println(sc.Text()) // build errors arrive as plain text
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			outputs[key] = append(outputs[key], e.Output)
			if e.Test == "" && (strings.HasPrefix(e.Output, "ok") || strings.HasPrefix(e.Output, "FAIL")) {
				fmt.Print(e.Output)
			}
		case "pass":
			if e.Test != "" {
				passed++
			}
			delete(outputs, key)
		case "skip":
			if e.Test != "" {
				skipped++
			}
			delete(outputs, key)
		case "fail":
			if e.Test != "" {
				failed++
				testFailed[e.Package] = true
				fmt.Printf("--- FAIL: %s %s\n%s", e.Package, e.Test, strings.Join(outputs[key], ""))
			} else if !testFailed[e.Package] {
				failed++ // the package failed outside any test: build error, panic, timeout
				fmt.Printf("FAIL %s\n%s", e.Package, strings.Join(outputs[key], ""))
			}
			delete(outputs, key)
		case "build-output":
			fmt.Print(e.Output)
		case "build-fail":
			failed++
		}
	}
	fmt.Printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if failed > 0 || passed == 0 {
		os.Exit(1)
	}
}
