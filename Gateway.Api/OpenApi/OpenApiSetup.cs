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
            options.CustomOperationIds(api => api.ActionDescriptor.AttributeRouteInfo?.Name
                ?? api.ActionDescriptor.EndpointMetadata.OfType<IEndpointNameMetadata>().FirstOrDefault()?.EndpointName);
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
            options.OperationFilter<QueryParameterTypeOperationFilter>();
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

    /// <summary>Gives a query parameter that a minimal-API endpoint binds as a string (to parse it itself) the schema of
    /// the type it really takes (<see cref="QueryParameterTypeAttribute"/>), as MVC's binding would have described it.</summary>
    private sealed class QueryParameterTypeOperationFilter : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            foreach (var declared in context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<QueryParameterTypeAttribute>())
            {
                if (operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == declared.Name && p.In == ParameterLocation.Query) is { } parameter)
                {
                    parameter.Schema = new OpenApiSchema { AllOf = [context.SchemaGenerator.GenerateSchema(declared.Type, context.SchemaRepository)] };
                }
            }
        }
    }
}

/// <summary>The OpenAPI type of a query parameter an endpoint binds as a string.</summary>
/// <param name="name">The parameter's name.</param>
/// <param name="type">The type it is documented as (an enum, for instance).</param>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class QueryParameterTypeAttribute(string name, Type type) : Attribute
{
    public string Name { get; } = name;

    public Type Type { get; } = type;
}
