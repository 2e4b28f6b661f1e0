package instance_test

import (
	"os"
	"testing"

	"hearth/instance/store/pgtest"
)

// TestMain lets the fixtures' stores (storetest.Open) be PostgreSQL
// databases (HEARTH_TEST_POSTGRES) and drops their template at the end.
func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.DropTemplates()
	os.Exit(code)
}
