package hubtest

import "testing"

// Suites is every suite a collector backend is held to, by name: each
// backend runs them all over its own Opener (RunSuites), so a suite added
// here runs on SQLite and on PostgreSQL alike (TestEverySuiteListed).
var Suites = []struct {
	Name string
	Run  func(t *testing.T, open Opener)
}{
	{"Store", RunStoreSuite},
	{"Server", RunServerSuite},
	{"Trust", RunTrustSuite},
	{"Dispute", RunDisputeSuite},
	{"DisputeZone", RunDisputeZoneSuite},
	{"OpenDisputes", RunOpenDisputesSuite},
	{"Question", RunQuestionSuite},
	{"QuestionFeed", RunQuestionFeedSuite},
	{"ZoneAgreement", RunZoneAgreementSuite},
	{"ZoneData", RunZoneDataSuite},
	{"UntrustedInput", RunUntrustedInputSuite},
	{"RedTeam", RunRedTeamSuite},
	{"Load", RunLoadSuite},
	{"Regional", RunRegionalSuite},
	{"Device", RunDeviceSuite},
	{"OfficeDays", RunOfficeDaysSuite},
	{"FleetPage", RunFleetPageSuite},
	{"RejectRanking", RunRejectRankingSuite},
	{"BatchTotals", RunBatchTotalsSuite},
}

// RunSuites runs every suite of Suites over open, each as a subtest named
// as there (go test -run 'TestSuites/Server$' runs one).
func RunSuites(t *testing.T, open Opener) {
	for _, s := range Suites {
		t.Run(s.Name, func(t *testing.T) { s.Run(t, open) })
	}
}
