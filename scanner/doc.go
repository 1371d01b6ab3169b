// Package scanner reads scans from the counter's input devices: stdin,
// serial scanners (USB CDC-ACM and RS-232), keyboard-wedge scanners (Linux
// evdev) and cameras (ffmpeg frames decoded with gozxing). Each source is a
// mark.Source: it runs under a context, survives unplug and restart, and
// reports its health.
package scanner
