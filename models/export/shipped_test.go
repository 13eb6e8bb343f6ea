package export

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"rewardvision/models/repo"
)

// TestShippedEntries checks every entry of the shipped model repository
// (assets/models): re-exporting its checkpoint with this code gives the
// same bytes (so the repository is what `rewardvision export` produces),
// and the entry passes Verify (ONNX Runtime against GoMLX).
func TestShippedEntries(t *testing.T) {
	const root = "../.."
	manifests, err := filepath.Glob(filepath.Join(root, "assets", "models", "*", "*", repo.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(manifests) == 0 {
		t.Skip("no shipped model repository entries")
	}
	rt := loadORT(t)
	for _, path := range manifests {
		dir := filepath.Dir(path)
		t.Run(filepath.Base(filepath.Dir(dir)), func(t *testing.T) {
			m, _, err := repo.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			res, err := FromCheckpoint(Options{
				Checkpoint: filepath.Join(root, m.Provenance.Checkpoint), Repo: t.TempDir(),
				Name: m.Name, Version: m.Version, Variant: m.Variant, Commit: m.Provenance.ExportCommit,
			})
			if err != nil {
				t.Fatal(err)
			}
			files, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				shipped, err1 := os.ReadFile(filepath.Join(dir, f.Name()))
				fresh, err2 := os.ReadFile(filepath.Join(res.Dir, f.Name()))
				if err1 != nil || err2 != nil {
					t.Fatalf("%s: %v %v", f.Name(), err1, err2)
				}
				// model.json records the exporting commit, which the re-export
				// copied, and the checkpoint path, given relative here; the
				// rest must match byte for byte.
				if f.Name() == repo.ManifestFile {
					shipped = bytes.ReplaceAll(shipped, []byte(m.Provenance.Checkpoint), nil)
					fresh = bytes.ReplaceAll(fresh, []byte(filepath.Join(root, m.Provenance.Checkpoint)), nil)
				}
				if !bytes.Equal(shipped, fresh) {
					t.Errorf("%s differs from a fresh export of %s", f.Name(), m.Provenance.Checkpoint)
				}
			}
			rep, err := Verify(dir, res.Model, rt, VerifyOptions{Images: 2})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				t.Errorf("verify: max |logit diff| %g, encoder %g, tokens agree %v", rep.MaxLogitDiff, rep.MaxCrossDiff, rep.TokensAgree)
			}
		})
	}
}
