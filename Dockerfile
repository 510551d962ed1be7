# syntax=docker/dockerfile:1
# IMAP-to-REST gateway: build with the .NET 10 SDK, run on the ASP.NET Core runtime as a non-root user.
#
# DOTNET_REGISTRY is the container registry that serves Microsoft's official dotnet/sdk and dotnet/aspnet images
# (or a mirror of them); docker-compose.yml passes it through. Example:
#   docker build --build-arg DOTNET_REGISTRY=<registry host> -t imap-gateway .
# NODE_IMAGE builds the webmail SPA (app/); any Debian-based Node.js 22 image works.
ARG DOTNET_REGISTRY
ARG NODE_IMAGE=node:22-bookworm-slim

# The webmail SPA, served by the gateway at /app: npm ci with the committed lock, then tsc + vite build into
# /src/Gateway.Api/wwwroot/app (vite.config.ts writes to ../Gateway.Api/wwwroot/app).
FROM ${NODE_IMAGE} AS app
WORKDIR /src/app
COPY app/package.json app/package-lock.json app/.npmrc ./
RUN npm ci --no-audit --no-fund
COPY app/ ./
RUN npm run build

FROM ${DOTNET_REGISTRY}/dotnet/sdk:10.0 AS build
WORKDIR /src

# Restore first, from the build props and project files only, so the layer is reused until a dependency changes.
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY Gateway.Core/Gateway.Core.csproj Gateway.Core/
COPY Gateway.Api/Gateway.Api.csproj Gateway.Api/
RUN dotnet restore Gateway.Api/Gateway.Api.csproj

COPY Gateway.Core/ Gateway.Core/
COPY Gateway.Api/ Gateway.Api/
# Published with the rest of wwwroot: the gateway serves /app from its content root's wwwroot/app.
COPY --from=app /src/Gateway.Api/wwwroot/app Gateway.Api/wwwroot/app/
RUN dotnet publish Gateway.Api/Gateway.Api.csproj -c Release --no-restore -o /app/publish /p:UseAppHost=false

FROM ${DOTNET_REGISTRY}/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
ENV ASPNETCORE_URLS=http://+:8080 \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
COPY --from=build /app/publish .
# APP_UID is the unprivileged "app" user the official images define.
USER $APP_UID
EXPOSE 8080
ENTRYPOINT ["dotnet", "Gateway.Api.dll"]
