package dev.detour.webflux;

import dev.detour.core.DeadlineExceededException;
import dev.detour.core.RouteFailedException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** A route's failures as HTTP statuses: the deadline is a 504, every other path failing a 502. */
// README webflux begin
@RestControllerAdvice
class DetourErrors {

    @ExceptionHandler
    ProblemDetail deadline(DeadlineExceededException e) {                // names every attempt made
        return ProblemDetail.forStatusAndDetail(HttpStatus.GATEWAY_TIMEOUT, e.getMessage());
    }

    @ExceptionHandler
    ProblemDetail failed(RouteFailedException e) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_GATEWAY, e.getMessage());
    }
}
// README webflux end
