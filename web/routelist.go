package web

import "slices"

// Routes is the pattern of every route of the pages (http.ServeMux
// syntax; "/" is the fallback to the API, whose routes are
// httpapi.Server.Routes): the guard of docs/ checks the paths the
// documents name.
func (s *Server) Routes() []string { return slices.Clone(s.patterns) }
