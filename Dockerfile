# syntax=docker/dockerfile:1
# outreach: one static binary (every command: scheduler, worker, sandbox,
# apply, status, ...). Build: docker build -t outreach .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# timetzdata embeds the time zone database: accounts' time zones work on
# any runtime image.
RUN CGO_ENABLED=0 go build -trimpath -tags timetzdata -ldflags="-s -w" -o /out/outreach ./cmd/outreach

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/outreach /usr/local/bin/outreach
WORKDIR /outreach
USER nonroot:nonroot
# 2112: /metrics (metrics.listen); 8081: the scheduler's events endpoint;
# 8380: `outreach sandbox`.
EXPOSE 2112 8081 8380
ENTRYPOINT ["/usr/local/bin/outreach"]
CMD ["--help"]
