package io.adapterplatform.events;

/** Payloads of the module's tests: one sealed family, as a service declares its events. */
sealed interface TestEvents permits TestEvents.Step, TestEvents.Note {

  String key();

  @EventType(name = "STEP", schemaVersion = 2)
  record Step(String key, int seq) implements TestEvents {}

  @EventType(name = "NOTE")
  record Note(String key, String text) implements TestEvents {}
}
