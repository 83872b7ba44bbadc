package main

import (
	"fmt"
	"os"
)

// privateDir creates the data folder for its owner only (0700), or takes group and other
// permissions away from an existing one: it holds the database with the private keys.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(dir, fi.Mode().Perm()&0o700); err != nil {
		return fmt.Errorf("%s is readable by others and cannot be made private: %w", dir, err)
	}
	return nil
}
