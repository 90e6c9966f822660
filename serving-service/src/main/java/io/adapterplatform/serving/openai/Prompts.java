package io.adapterplatform.serving.openai;

import io.adapterplatform.serving.engine.ServedModel;
import io.adapterplatform.web.problem.ApiException;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/** The {@code prompt} field: a string, a list of token ids, or a list of either. */
final class Prompts {

  private Prompts() {}

  static List<int[]> tokens(JsonNode prompt, ServedModel model) {
    if (prompt.isString()) {
      return List.of(encode(prompt.asString(), model));
    }
    if (!prompt.isArray() || prompt.isEmpty()) {
      throw shape();
    }
    if (prompt.get(0).isNumber()) {
      return List.of(ids(prompt));
    }
    List<int[]> out = new ArrayList<>();
    for (JsonNode p : prompt) {
      if (p.isString()) {
        out.add(encode(p.asString(), model));
      } else if (p.isArray() && !p.isEmpty()) {
        out.add(ids(p));
      } else {
        throw shape();
      }
    }
    return out;
  }

  private static int[] ids(JsonNode list) {
    int[] ids = new int[list.size()];
    for (int i = 0; i < ids.length; i++) {
      JsonNode id = list.get(i);
      if (!id.isIntegralNumber() || !id.canConvertToInt()) {
        throw ApiException.invalidField("prompt", "token ids must be integers, got " + id);
      }
      ids[i] = id.asInt();
    }
    return ids;
  }

  private static int[] encode(String text, ServedModel model) {
    if (model.tokenizer().isEmpty()) {
      throw ApiException.invalidField(
          "prompt",
          "base model '"
              + model.name()
              + "' has no tokenizer.json in the registry: send token ids instead");
    }
    long[] ids = model.tokenizer().get().encode(text).getIds();
    if (ids.length == 0) {
      throw ApiException.invalidField("prompt", "has no tokens");
    }
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  private static ApiException shape() {
    return ApiException.invalidField(
        "prompt",
        "must be a string, a list of token ids, or a non-empty list of strings or token-id lists");
  }
}
