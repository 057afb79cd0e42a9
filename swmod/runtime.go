package swmod

import (
	"context"
	"os"
	"time"
)

// Runtime runs EUs: crun (Crun) on devices with containers, plain
// processes (Process) elsewhere. Env is its only consumer.
type Runtime interface {
	// Name says which runtime this is, for ExecEnv.Type.
	Name() string
	// Start runs spec and returns once the EU's process exists.
	Start(ctx context.Context, spec RunSpec) (Instance, error)
	// Remove releases whatever an earlier process left under id (after a
	// crash of the owning process); removing nothing is no error.
	Remove(ctx context.Context, id string) error
}

// RunSpec is what a Runtime needs to run one EU.
type RunSpec struct {
	ID     string   // unique among running EUs; a container name
	RootFS string   // the unpacked bundle's rootfs directory
	RunDir string   // a directory the runtime may use for its files
	Args   []string // Args[0] is an absolute path inside RootFS
	Env    []string
	Cwd    string   // inside RootFS
	Limits Limits   // zero kinds are unlimited
	Output *os.File // the EU's stdout and stderr
}

// Instance is one running EU.
type Instance interface {
	// Pid is the EU's main process as the host sees it.
	Pid() int
	// Wait returns when the EU's process has ended (or ctx is done).
	Wait(ctx context.Context) (Exit, error)
	// Stop ends the EU (SIGTERM, then SIGKILL after grace) and releases
	// its resources; it is safe to call after Wait and more than once.
	Stop(ctx context.Context, grace time.Duration) error
}

// Exit says how an EU's process ended.
type Exit struct {
	Code      int  // exit status, -1 when the runtime cannot know it
	Signal    int  // the signal that killed it, 0 if none or unknown
	OOMKilled bool // the kernel's OOM killer ended it at the memory limit
}
