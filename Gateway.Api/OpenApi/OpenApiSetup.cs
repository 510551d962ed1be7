using System.Reflection;
using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Gateway.Api.OpenApi;

/// <summary>The OpenAPI document at <c>/swagger/v1/swagger.json</c>: operation ids from route names, XML comments,
/// exact required/nullable members, and the bearer scheme on every operation that needs it.</summary>
public static class OpenApiSetup
{
    public const string BearerSchemeId = "Bearer";

    public static IServiceCollection AddGatewayOpenApi(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "IMAP-to-REST gateway",
                Version = "v1",
                Description = "Mail over HTTP/JSON: sessions, mailboxes and messages served from pooled IMAP connections. "
                    + "Errors are RFC 9457 problem details (application/problem+json) with a stable `code`.",
            });
            options.AddServer(new OpenApiServer { Url = "/", Description = "This gateway" });
            options.CustomOperationIds(api => api.ActionDescriptor.AttributeRouteInfo?.Name);
            options.SupportNonNullableReferenceTypes();
            options.NonNullableReferenceTypesAsRequired();
            options.UseAllOfToExtendReferenceSchemas();
            options.IncludeXmlComments(Path.Combine(AppContext.BaseDirectory, $"{Assembly.GetExecutingAssembly().GetName().Name}.xml"), includeControllerXmlComments: true);
            options.AddSecurityDefinition(BearerSchemeId, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "opaque",
                Description = "A token from POST /api/v1/sessions.",
            });
            options.OperationFilter<BearerSecurityOperationFilter>();
            options.OperationFilter<RawRequestBodyOperationFilter>();
        });
        return services;
    }

    /// <summary>Marks operations behind <c>[Authorize]</c> (and not <c>[AllowAnonymous]</c>) as needing the bearer token.</summary>
    private sealed class BearerSecurityOperationFilter : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
            if (!metadata.OfType<IAuthorizeData>().Any() || metadata.OfType<IAllowAnonymous>().Any())
            {
                return;
            }

            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(BearerSchemeId, context.Document)] = [],
            });
        }
    }
}
