package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hearth/instance"
)

// drawRecord makes a published record the way a panel's draw does.
func drawRecord(t *testing.T) *instance.DrawRecord {
	t.Helper()
	two := 2
	in := instance.DrawInputs{Size: 4, Strata: []instance.Stratum{{Name: "Part of the village",
		Answers: []instance.Answer{{Label: "North end", Target: &two}, {Label: "Elsewhere"}}}}}
	for i := range 10 {
		in.Volunteers = append(in.Volunteers, instance.DrawVolunteer{Code: fmt.Sprintf("K%02d", i), Answers: []int{1 + i%2}})
	}
	seed := "5d9b0c3e"
	rec := &instance.DrawRecord{Format: instance.DrawFormat, Title: "Playground panel", Algorithm: instance.DrawAlgorithm,
		AlgorithmVersion: instance.DrawAlgorithmVersion, Size: in.Size, Strata: in.Strata, Volunteers: in.Volunteers,
		VolunteersSHA256: instance.InputsHash(in), SeedMethod: instance.SeedSecret, SeedCommitment: instance.SeedCommitment(seed), Seed: seed}
	var issue *instance.QuotaIssue
	if rec.Selected, issue = instance.Draw(in, instance.DrawKey(seed, rec.VolunteersSHA256)); issue != nil {
		t.Fatal(issue)
	}
	return rec
}

func writeRecord(t *testing.T, dir string, rec *instance.DrawRecord) string {
	t.Helper()
	data, err := instance.RecordJSON(rec)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "panel-1-draw.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// hearth verify-draw re-runs a published draw: 0 when it matches, 1 with
// the reason when the record was changed, 2 for a bad command line.
func TestVerifyDrawCommand(t *testing.T) {
	dir := t.TempDir()
	rec := drawRecord(t)
	file := writeRecord(t, dir, rec)
	code, out, errs := hearth(t, dir, "", "verify-draw", file)
	if code != 0 || !strings.Contains(out, "OK:           Everything matches") || !strings.Contains(out, "re-run:       "+strings.Join(rec.Selected, " ")) {
		t.Fatalf("honest record: %d\n%s%s", code, out, errs)
	}

	changed := *rec
	changed.Volunteers = append([]instance.DrawVolunteer(nil), rec.Volunteers...)
	changed.Volunteers[3] = instance.DrawVolunteer{Code: "K03", Answers: []int{1}} // was Elsewhere
	file = writeRecord(t, dir, &changed)
	code, out, errs = hearth(t, dir, "", "verify-draw", file)
	if code != 1 || !strings.Contains(out, "PROBLEM:      The list has been changed") || !strings.Contains(errs, "the draw does not check out") {
		t.Errorf("one volunteer changed: %d\n%s%s", code, out, errs)
	}

	reseeded := *rec
	reseeded.Seed = "5d9b0c3f"
	file = writeRecord(t, dir, &reseeded)
	code, out, _ = hearth(t, dir, "", "verify-draw", file)
	if code != 1 || !strings.Contains(out, "does not match the fingerprint published before the draw") {
		t.Errorf("seed changed: %d\n%s", code, out)
	}

	junk := filepath.Join(dir, "junk.json")
	os.WriteFile(junk, []byte(`{"hello": "world"}`), 0o600)
	if code, _, errs := hearth(t, dir, "", "verify-draw", junk); code != 1 || !strings.Contains(errs, "not a draw record") {
		t.Errorf("not a record: %d %q", code, errs)
	}
	if code, _, errs := hearth(t, dir, "", "verify-draw", filepath.Join(dir, "missing.json")); code != 1 || !strings.Contains(errs, "no such file") {
		t.Errorf("missing file: %d %q", code, errs)
	}
	if code, _, errs := hearth(t, dir, "", "verify-draw"); code != 2 || !strings.Contains(errs, "usage: hearth verify-draw FILE") {
		t.Errorf("no file: %d %q", code, errs)
	}
	// The record is plain JSON that other tools can read.
	var back map[string]any
	data, _ := os.ReadFile(writeRecord(t, dir, rec))
	if err := json.Unmarshal(data, &back); err != nil || back["volunteers_sha256"] != rec.VolunteersSHA256 {
		t.Errorf("record JSON: %v", err)
	}
}
