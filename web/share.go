package web

import "io/fs"

// Static is the folder of the counter's stylesheet and scripts. markhub's
// regional pages serve its app.css, so both look the same.
func Static() fs.FS {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the folder is embedded at build time
	}
	return sub
}
