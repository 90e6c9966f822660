package io.adapterplatform.composition.second;

import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.problem.ApiException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/** An operation of the second service, behind the shared filter, roles and problem handling. */
@RestController
class NoteController {

  record Note(long id, String text) {}

  private final JdbcClient jdbc;

  NoteController(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  @GetMapping("/api/v1/second/notes/{id}")
  Note note(Caller caller, @PathVariable long id) {
    caller.require(Role.READER);
    return jdbc.sql("select id, text from second.note where id = ?")
        .param(id)
        .query(Note.class)
        .optional()
        .orElseThrow(() -> ApiException.notFound("note " + id));
  }
}
