package fsync

import "os"

// Dir fsyncs the folder dir. Its error is the *os.PathError of opening or
// syncing the folder (it names the folder and the step); callers wrap it
// with what they were doing, or ignore it where the sync is best effort.
func Dir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
