package io.adapterplatform.web.page;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CursorsTest {

  @Test
  void theNextCursorCarriesTheLastKeyOfAFullPageAndIsNullAfterTheLastPage() {
    var overfull = List.of("a", "b", "c");
    var last = List.of("a", "b");

    String next = Cursors.next(overfull, 2, String::toUpperCase);

    assertThat(Cursors.decode(next)).isEqualTo("B");
    assertThat(Cursors.next(last, 2, String::toUpperCase)).isNull();
    assertThat(Cursors.next(List.<String>of(), 2, String::toUpperCase)).isNull();
  }
}
