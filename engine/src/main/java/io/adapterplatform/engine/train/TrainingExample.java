package io.adapterplatform.engine.train;

/**
 * One training sequence: a prompt followed by the completion to be learned.
 *
 * @param tokens the token ids (at least two)
 * @param promptLength how many leading tokens are prompt (masked out of the loss); 0 learns every
 *     token after the first
 */
public record TrainingExample(int[] tokens, int promptLength) {

  public TrainingExample {
    if (tokens == null || tokens.length < 2) {
      throw new IllegalArgumentException("a training example needs at least two tokens");
    }
    if (promptLength < 0 || promptLength >= tokens.length) {
      throw new IllegalArgumentException(
          "prompt length "
              + promptLength
              + " leaves no completion token in "
              + tokens.length
              + " tokens");
    }
    tokens = tokens.clone();
  }

  @Override
  public int[] tokens() {
    return tokens.clone();
  }

  /** Completion tokens, i.e. target positions that count in the loss. */
  public int completionTokens() {
    return tokens.length - Math.max(promptLength, 1);
  }
}
