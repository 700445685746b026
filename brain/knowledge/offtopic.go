package knowledge

// OffTopic returns the off-topic questions the "not sure" decision is
// calibrated on (offtopic.txt): questions of no community, in everyday
// words. The brain takes from them the words every question uses.
func OffTopic() []string { return offTopic() }
