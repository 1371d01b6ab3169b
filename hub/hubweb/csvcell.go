package hubweb

// csvText is a cell of free text in a CSV the regional supervisor opens
// in a spreadsheet: a terminal's counter and record ids, a reviewer's
// name and note, a why. A cell starting with = + - @, a tab or a carriage
// return is a formula to Excel and LibreOffice (OWASP "CSV injection"),
// so a terminal holding valid credentials could make a supervisor's
// spreadsheet fetch a URL with the sheet's data or run a command; such a
// cell gets a leading ' (which the spreadsheet shows as text and hides),
// everything after it kept as stored. Numbers and times the pages write
// themselves do not go through it.
func csvText(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
