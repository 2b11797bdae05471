package gcp

import (
	"fmt"
	"slices"
	"strings"
	"time"

	sqladmin "google.golang.org/api/sqladmin/v1"
)

// A maintenance window is, on Cloud SQL, one hour a week: a day (1 Monday to 7 Sunday, 0 any
// day) and the hour it starts, UTC. The operator's windows are RDS's,
// ddd:hh24:mi-ddd:hh24:mi: the provider asks for the hour the window starts in and keeps the
// window asked for in a label, so that it reports it back as asked (as backup windows are
// kept); a window changed outside the operator is reported as Cloud SQL's hour. Cloud SQL
// applies minor versions in that window whatever anyone says: it has no setting to stop them.

// keyMaintenanceWindow is the maintenance window asked for, of which Cloud SQL keeps the day
// and the hour it starts.
const keyMaintenanceWindow = "maintenance-window"

// weekdays are the days of a maintenance window, in Cloud SQL's order (1 is Monday).
var weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// maintenanceStart is the Cloud SQL window a ddd:hh24:mi-ddd:hh24:mi window starts in.
func maintenanceStart(window string) (*sqladmin.MaintenanceWindow, error) {
	start, _, ok := strings.Cut(strings.ToLower(window), "-")
	day, clock, ok2 := strings.Cut(start, ":")
	t, err := time.Parse("15:04", clock)
	i := slices.Index(weekdays, day)
	if !ok || !ok2 || err != nil || i < 0 {
		return nil, fmt.Errorf("maintenance window %q is not ddd:hh24:mi-ddd:hh24:mi", window)
	}
	// Hour 0 is a real hour: sent even when zero.
	return &sqladmin.MaintenanceWindow{Day: int64(i + 1), Hour: int64(t.Hour()), ForceSendFields: []string{"Day", "Hour"}}, nil
}

// maintenanceWindow is the window reported for Cloud SQL's w: asked, when it starts there,
// else Cloud SQL's own hour; "" for any window.
func maintenanceWindow(w *sqladmin.MaintenanceWindow, asked string) string {
	if w == nil || w.Day < 1 || w.Day > 7 {
		return ""
	}
	if got, err := maintenanceStart(asked); err == nil && got.Day == w.Day && got.Hour == w.Hour {
		return asked
	}
	endDay, endHour := w.Day, w.Hour+1
	if endHour == 24 {
		endDay, endHour = endDay%7+1, 0
	}
	return fmt.Sprintf("%s:%02d:00-%s:%02d:00", weekdays[w.Day-1], w.Hour, weekdays[endDay-1], endHour)
}

// noMinorUpgradeStop says why Cloud SQL cannot be asked to leave minor versions alone.
const noMinorUpgradeStop = "Cloud SQL applies minor versions in its maintenance window and has no setting to stop it: remove autoMinorVersionUpgrade: false"
