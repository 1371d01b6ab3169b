package main

import (
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // decode reads JPEG and PNG files
	_ "image/png"
	"os"

	"github.com/spf13/cobra"

	"markd/qrdecode"
)

func init() { register(newDecodeCmd) }

// decodeLine is one line of `markd decode` output.
type decodeLine struct {
	File  string   `json:"file"`
	Codes []string `json:"codes"`
	Error string   `json:"error,omitempty"`
}

func newDecodeCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "decode FILE...",
		Short: "Decode the QR codes in PNG/JPEG images, one JSON line per file",
		Long: `decode reads each image with the QR decoder of the camera source, in its
thorough mode (every enhancement step, motion deblurring), and prints one
JSON line per file: {"file":...,"codes":["..."]}. A file that cannot be read
gets an "error" field and no codes; the exit code is still 0.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usage("decode needs at least one image file")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			d := qrdecode.NewDecoder()
			d.Thorough = true // files: a few more milliseconds for motion blur and clutter
			enc := json.NewEncoder(a.stdout)
			enc.SetEscapeHTML(false)
			for _, file := range args {
				if err := cmd.Context().Err(); err != nil {
					return err
				}
				line := decodeLine{File: file, Codes: []string{}}
				g, err := readGray(file)
				if err != nil {
					line.Error = err.Error()
				} else if codes := d.Decode(g); codes != nil {
					line.Codes = codes
				}
				if err := enc.Encode(line); err != nil {
					return fmt.Errorf("decode: write output: %w", err)
				}
			}
			return nil
		},
	}
}

// readGray reads a PNG or JPEG file as an 8-bit gray frame.
func readGray(file string) (qrdecode.Gray, error) {
	f, err := os.Open(file)
	if err != nil {
		return qrdecode.Gray{}, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return qrdecode.Gray{}, fmt.Errorf("%s: not a readable PNG or JPEG image: %w", file, err)
	}
	return qrdecode.FromImage(img), nil
}
