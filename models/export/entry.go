package export

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"rewardvision/models/repo"
)

// ErrExists is returned (wrapped) when the entry to write already exists
// and replacing it was not asked for.
var ErrExists = errors.New("model entry already exists")

// WriteEntry writes traced graphs, extra files (name → content, e.g. the
// vocabulary) and the manifest to REPO/<name>/<version>, filling in each
// graph's checksum and size. The entry is assembled in a temporary
// directory beside it and renamed into place, so a reader never sees half
// an entry; an existing entry is replaced only with force.
func WriteEntry(repoDir string, m *repo.Manifest, traced []Traced, extra map[string][]byte, force bool) (string, error) {
	dir := repo.EntryDir(repoDir, m.Name, m.Version)
	if _, err := os.Stat(dir); err == nil && !force {
		return "", fmt.Errorf("write %s: %w (use --force to replace it)", dir, ErrExists)
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("write %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(parent, fmt.Sprintf(".%d.tmp-", m.Version))
	if err != nil {
		return "", fmt.Errorf("write %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	// MkdirTemp makes it 0700; the server may run as another user.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("write %s: %w", dir, err)
	}
	for _, t := range traced {
		data, err := t.Model.Marshal()
		if err != nil {
			return "", fmt.Errorf("write %s graph: %w", t.Role, err)
		}
		if err := os.WriteFile(filepath.Join(tmp, t.File), data, 0o644); err != nil {
			return "", fmt.Errorf("write %s graph: %w", t.Role, err)
		}
		sum := sha256.Sum256(data)
		AddGraph(m, t, hex.EncodeToString(sum[:]), int64(len(data)))
	}
	for name, data := range extra {
		if !filepath.IsLocal(name) {
			return "", fmt.Errorf("write %s: file name %q is not inside the entry", dir, name)
		}
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return "", fmt.Errorf("write %s: %w", dir, err)
		}
	}
	if err := m.Validate(); err != nil {
		return "", fmt.Errorf("write %s: manifest: %w", dir, err)
	}
	js, err := m.Marshal()
	if err != nil {
		return "", fmt.Errorf("write %s: manifest: %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(tmp, repo.ManifestFile), js, 0o644); err != nil {
		return "", fmt.Errorf("write %s: %w", dir, err)
	}
	if err := swapIn(tmp, dir); err != nil {
		return "", fmt.Errorf("write %s: %w", dir, err)
	}
	return dir, nil
}

// swapIn renames tmp to dir, moving an existing dir aside first and
// removing it after.
func swapIn(tmp, dir string) error {
	if _, err := os.Stat(dir); err != nil {
		return os.Rename(tmp, dir)
	}
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.Rename(old, dir) // put the previous entry back
		return err
	}
	return os.RemoveAll(old)
}
