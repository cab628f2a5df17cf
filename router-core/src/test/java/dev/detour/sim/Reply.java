package dev.detour.sim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.Json;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;

/** A simulator's reply, read whole: its status, headers and body, and the body's SSE events. */
record Reply(int status, HttpHeaders headers, String body) {

    ObjectNode json() {
        return Json.object(body, "reply");
    }

    String contentType() {
        return headers.get("content-type");
    }

    List<Event> events() {
        return Event.parse(body);
    }

    /** One server-sent event: its name (or null) and its data. */
    record Event(String name, String data) {

        static List<Event> parse(String body) {
            List<Event> events = new ArrayList<>();
            for (String block : body.split("\n\n")) {
                String name = null;
                String data = null;
                for (String line : block.split("\n")) {
                    if (line.startsWith("event: ")) {
                        name = line.substring(7);
                    } else if (line.startsWith("data: ")) {
                        data = line.substring(6);
                    }
                }
                if (data != null) {
                    events.add(new Event(name, data));
                }
            }
            return events;
        }

        ObjectNode json() {
            return Json.object(data, "event data");
        }
    }
}
