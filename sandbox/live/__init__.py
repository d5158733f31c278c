"""Live time: instance clocks, the partners' deliveries on their cadence, delivery faults."""
