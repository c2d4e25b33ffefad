package wire

// The asynq queue that carries the tasks from the scheduler to the workers:
// its names are part of the durable format (a worker of another version
// serves the tasks a scheduler queued), so both sides take them from here.
const (
	// TaskType is the asynq task type of every platform action; its
	// payload is a Task (EncodeTask).
	TaskType = "outreach:action"
	// QueueName is the asynq queue the tasks go to.
	QueueName = "default"
	// HandedBack is the asynq result of a task a worker did not perform
	// because it came after its working time or while paused
	// (pacing.HandedBack). Only such a task may be replaced under its key:
	// it did nothing.
	HandedBack = "handed_back"
)
