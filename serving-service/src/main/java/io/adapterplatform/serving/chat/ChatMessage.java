package io.adapterplatform.serving.chat;

/**
 * One message of a chat, as templates see it: {@code message['role']}, {@code message['content']}.
 */
public record ChatMessage(String role, String content) {}
