using Gateway.Api.Infrastructure;

// Composition root: Core services (pool, stores, sessions, mailboxes) and the HTTP layer on top.
var builder = WebApplication.CreateBuilder(args);
builder.AddGatewayApi();

var app = builder.Build();
app.MapGatewayApi();
app.Run();
