// Package e2e holds the end-to-end tests of markd: they build the real
// markd binary, start `markd run` on 127.0.0.1:0 with scans fed on its
// stdin or a serial scanner's pty, and drive the web pages in headless
// Chromium with chromedp, as a supervisor and an operator would;
// TestCounterDay adds markhub on a throwaway PostgreSQL and a second
// office's counter for one whole post-office day. Screenshots go to
// $MARKD_ARTIFACTS or e2e/testdata/artifacts (git-ignored).
package e2e
