package instance_test

import (
	"os"
	"testing"

	"hearth/instance/store/storetest"
)

// TestMain lets the fixture's stores be PostgreSQL databases
// (HEARTH_TEST_POSTGRES) and drops their template at the end.
func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }
